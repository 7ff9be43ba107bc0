import type { RouterOutputs } from '../lib/protocol';

export type ClipActivityGroup = RouterOutputs['clips']['activity']['groups'][number];

/**
 * One line about who talked about a clip where: "Ana and 2 others talked about this in
 * Roommates". `meId` turns the reader's own name into "You" and puts friends first.
 */
export function activitySentence(group: ClipActivityGroup, meId: string | null): string {
  const others = group.people.filter((p) => p.id !== meId).map((p) => p.displayName);
  const includesMe = group.people.some((p) => p.id === meId);
  const names = includesMe ? [...others, others.length > 0 ? 'you' : 'You'] : others;
  let who: string;
  if (names.length === 0) who = 'Someone';
  else if (names.length === 1) who = names[0]!;
  else if (names.length === 2) who = `${names[0]} and ${names[1]}`;
  else who = `${names[0]} and ${names.length - 1} others`;
  const where = group.kind === 'direct' ? `your chat with ${group.name}` : group.name;
  return `${who} talked about this in ${where}`;
}
