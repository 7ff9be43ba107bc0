/**
 * The built-in rate and abuse limits, used when a `LIMIT_*` variable is unset. Kept apart from
 * limits.ts so that env.ts can read them without importing the limiters (which read `Env`).
 * limits.ts checks that every field of `LimitSettings` has a default here.
 */
export const defaultLimitSettings = {
  loginFailures: 10,
  loginWindowSeconds: 15 * 60,
  loginHandleFailures: 100,
  loginAddressAttempts: 50,
  registrations: 20,
  registrationWindowSeconds: 60 * 60,
  batchCalls: 20,
  sends: 30,
  sendWindowSeconds: 10,
  sendQueue: 4096,
  sendWaitMs: 3000,
  checkouts: 20,
  checkoutWindowSeconds: 10 * 60,
  socketsPerUser: 8,
  replayLimit: 2000,
  socketsPerAddress: 64,
  connectionsPerAddress: 256,
  hashWaiting: 32,
  hashPerAddress: 8,
  friendRequests: 30,
  friendRequestWindowSeconds: 60 * 60,
  pageFetches: 60,
  pageFetchWindowSeconds: 10 * 60,
};
