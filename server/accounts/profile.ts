import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { type GroupAdds, users } from '../db/schema';

/** The public face of a user: never a hash, never a token. */
export const publicUserColumns = {
  id: users.id,
  handle: users.handle,
  displayName: users.displayName,
};

/** My profile with my privacy settings. */
const meColumns = {
  ...publicUserColumns,
  sendReceipts: users.sendReceipts,
  groupAdds: users.groupAdds,
  findableByHandle: users.findableByHandle,
};

interface MeRow {
  id: string;
  handle: string;
  displayName: string;
  sendReceipts: boolean;
  groupAdds: GroupAdds;
  findableByHandle: boolean;
}

function meView(row: MeRow) {
  return {
    ...row,
    settings: {
      readReceipts: row.sendReceipts,
      groupAdds: row.groupAdds,
      findableByHandle: row.findableByHandle,
    },
  };
}

const gone = () =>
  new TRPCError({ code: 'UNAUTHORIZED', message: 'This account no longer exists.' });

/** My profile and privacy settings. */
export async function getProfile(db: DbOrTx, userId: string) {
  const [row] = await db.select(meColumns).from(users).where(eq(users.id, userId));
  if (!row) throw gone();
  return meView(row);
}

export interface ProfileChanges {
  displayName?: string | undefined;
  /** Whether others see when I have read. */
  readReceipts?: boolean | undefined;
  groupAdds?: GroupAdds | undefined;
  /** Whether others may send me a friend request by my handle. */
  findableByHandle?: boolean | undefined;
}

/** Changes what is given of my display name and privacy settings. */
export async function updateProfile(db: DbOrTx, userId: string, changes: ProfileChanges) {
  const [row] = await db
    .update(users)
    .set({
      ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
      ...(changes.readReceipts !== undefined ? { sendReceipts: changes.readReceipts } : {}),
      ...(changes.groupAdds !== undefined ? { groupAdds: changes.groupAdds } : {}),
      ...(changes.findableByHandle !== undefined
        ? { findableByHandle: changes.findableByHandle }
        : {}),
    })
    .where(eq(users.id, userId))
    .returning(meColumns);
  if (!row) throw gone();
  return meView(row);
}
