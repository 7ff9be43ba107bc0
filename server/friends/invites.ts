import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { areFriends, isBlockedEitherWay, requireUser } from '../access';
import type { Tx } from '../db/client';
import { friendships, invites } from '../db/schema';
import type { Deps } from '../deps';
import { notifyUser } from '../sync/user-events';
import type { SessionUser } from '../trpc';
import { dropRequestsBetween, lockPair } from './requests';

export const INVITE_DAYS = 7;

/** Readable invite codes: no 0/O/1/I/L to mistype when read aloud. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
function inviteCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** A new invite link of `inviterId`'s, good for `maxUses` people for a week. */
export async function createInvite(
  deps: Pick<Deps, 'db' | 'env'>,
  inviterId: string,
  maxUses: number,
) {
  const expiresAt = new Date(Date.now() + INVITE_DAYS * 24 * 3600 * 1000);
  const code = inviteCode();
  await deps.db.insert(invites).values({ code, inviterId, expiresAt, maxUses });
  return {
    code,
    url: `${deps.env.PUBLIC_URL}/invite/${code}`,
    expiresAt: expiresAt.toISOString(),
    maxUses,
  };
}

/**
 * An invite code as people paste it: the bare code, or the whole link. Null when it cannot be
 * one of ours (then it is answered like a code that does not exist).
 */
export function inviteCodeFrom(text: string): string | null {
  const code = text
    .trim()
    .toUpperCase()
    .replace(/^.*\/INVITE\//, '')
    .replace(/\/+$/, '');
  return /^[A-Z0-9]{6,20}$/.test(code) ? code : null;
}

/** Why a sign-up through an invite made no friendship. */
export type InviteMiss = 'unknown' | 'expired' | 'used';

/**
 * A new account takes an invite while it is being created (`tx` is the sign-up's transaction):
 * the two are friends from the start. A code that is unknown, expired or used up makes no
 * friendship, and the answer says which.
 */
export async function redeemOnSignUp(
  tx: Tx,
  userId: string,
  text: string,
): Promise<
  | { accepted: true; friend: { id: string; handle: string; displayName: string } }
  | { accepted: false; reason: InviteMiss }
> {
  const code = inviteCodeFrom(text);
  const [invite] = code
    ? await tx.select().from(invites).where(eq(invites.code, code)).for('update')
    : [];
  if (!invite) return { accepted: false, reason: 'unknown' };
  if (invite.expiresAt <= new Date()) return { accepted: false, reason: 'expired' };
  if (invite.uses >= invite.maxUses) return { accepted: false, reason: 'used' };
  await tx
    .update(invites)
    .set({ uses: invite.uses + 1 })
    .where(eq(invites.code, invite.code));
  await tx.insert(friendships).values([
    { userId, friendId: invite.inviterId },
    { userId: invite.inviterId, friendId: userId },
  ]);
  return { accepted: true, friend: await requireUser(tx, invite.inviterId) };
}

/** Tells the inviter, live, that someone took their invite. */
export function notifyInviter(
  deps: Pick<Deps, 'bus'>,
  inviterId: string,
  friend: { id: string; handle: string; displayName: string },
) {
  return notifyUser(deps, inviterId, 'friend.accepted', {
    friend: { id: friend.id, handle: friend.handle, displayName: friend.displayName },
  });
}

/** Who made an invite and whether it still works, for the invite page. */
export async function describeInvite(deps: Pick<Deps, 'db'>, text: string) {
  const code = inviteCodeFrom(text);
  if (!code) return { state: 'unknown' as const, inviter: null };
  const [row] = await deps.db
    .select({ invite: invites, inviterId: invites.inviterId })
    .from(invites)
    .where(eq(invites.code, code));
  if (!row) return { state: 'unknown' as const, inviter: null };
  const inviter = await requireUser(deps.db, row.inviterId);
  const state =
    row.invite.expiresAt <= new Date()
      ? ('expired' as const)
      : row.invite.uses >= row.invite.maxUses
        ? ('used' as const)
        : ('open' as const);
  return { state, inviter };
}

/** `me` takes an invite: the two become friends, unless blocked or already friends. */
export async function acceptInvite(deps: Pick<Deps, 'db' | 'bus'>, me: SessionUser, code: string) {
  const userId = me.id;
  const answer = await deps.db.transaction(async (tx) => {
    const [invite] = await tx.select().from(invites).where(eq(invites.code, code)).for('update');
    if (!invite)
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: 'This invite code does not exist. Check it or ask for a new one.',
      });
    if (invite.inviterId === userId) {
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: 'This is your own invite: send it to a friend instead.',
      });
    }
    if (invite.expiresAt <= new Date()) {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: 'This invite has expired. Ask your friend for a new one.',
      });
    }
    if (invite.uses >= invite.maxUses) {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: 'This invite has already been used. Ask your friend for a new one.',
      });
    }
    // A block between the two is either seen here or waits until this is done.
    await lockPair(tx, userId, invite.inviterId);
    if (await isBlockedEitherWay(tx, userId, invite.inviterId)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: 'You cannot connect with this person.',
      });
    }
    if (await areFriends(tx, userId, invite.inviterId)) {
      throw new TRPCError({ code: 'CONFLICT', message: 'You are already friends.' });
    }
    await tx
      .update(invites)
      .set({ uses: invite.uses + 1 })
      .where(eq(invites.code, invite.code));
    const added = await tx
      .insert(friendships)
      .values([
        { userId: userId, friendId: invite.inviterId },
        { userId: invite.inviterId, friendId: userId },
      ])
      .onConflictDoNothing()
      .returning({ userId: friendships.userId });
    // The two accepted each other's invites at the same moment and the other one won.
    if (added.length < 2)
      throw new TRPCError({ code: 'CONFLICT', message: 'You are already friends.' });
    await dropRequestsBetween(tx, userId, invite.inviterId);
    return { friend: await requireUser(tx, invite.inviterId) };
  });
  await notifyInviter(deps, answer.friend.id, me);
  return answer;
}
