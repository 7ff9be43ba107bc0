import type { RouterOutputs } from '../lib/protocol';

export type ClipActivityGroup = RouterOutputs['clips']['activity']['groups'][number];

/** A piece of the activity line; `user` marks text people wrote (names), shown isolated. */
export interface ActivityPart {
  text: string;
  user?: true;
}

/**
 * One line about who talked about a clip where: "Ana and 2 others talked about this in
 * Roommates". `meId` turns the reader's own name into "You" and puts friends first. In parts, so
 * names can be rendered isolated (<bdi>): an RTL override left open in a name must not reverse
 * the rest of the line.
 */
export function activityParts(group: ClipActivityGroup, meId: string | null): ActivityPart[] {
  const name = (text: string): ActivityPart => ({ text, user: true });
  const others = group.people.filter((p) => p.id !== meId).map((p) => name(p.displayName));
  const includesMe = group.people.some((p) => p.id === meId);
  const names = includesMe ? [...others, { text: others.length > 0 ? 'you' : 'You' }] : others;
  let who: ActivityPart[];
  if (names.length === 0) who = [{ text: 'Someone' }];
  else if (names.length === 1) who = [names[0]!];
  else if (names.length === 2) who = [names[0]!, { text: ' and ' }, names[1]!];
  else who = [names[0]!, { text: ` and ${names.length - 1} others` }];
  const where =
    group.kind === 'direct' ? [{ text: 'your chat with ' }, name(group.name)] : [name(group.name)];
  return [...who, { text: ' talked about this in ' }, ...where];
}

/** The activity line as plain text. */
export function activitySentence(group: ClipActivityGroup, meId: string | null): string {
  return activityParts(group, meId)
    .map((part) => part.text)
    .join('');
}
