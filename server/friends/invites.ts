import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { areFriends, isBlockedEitherWay, requireUser } from '../access';
import { friendships, invites } from '../db/schema';
import type { Deps } from '../deps';

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

/** `userId` takes an invite: the two become friends, unless blocked or already friends. */
export function acceptInvite(deps: Pick<Deps, 'db'>, userId: string, code: string) {
  return deps.db.transaction(async (tx) => {
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
    return { friend: await requireUser(tx, invite.inviterId) };
  });
}
