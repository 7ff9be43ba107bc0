/**
 * A line of UI text with people's words in it ("Shared to Roommates and Family."): plain
 * strings, and `{ user }` parts for what people typed (group names, brand names). The user parts
 * render isolated in <bdi>, so an RTL override left open in a name cannot reverse the words
 * after it. The line's text content is the same as the plain string would be.
 */
export type UserLine = readonly (string | { user: string })[];

/** `names` joined as "A", "A and B", "A, B and C", each name a user part. */
export function joinUserNames(names: string[]): UserLine {
  return names.flatMap((user, i) => [
    ...(i === 0 ? [] : [i === names.length - 1 ? ' and ' : ', ']),
    { user },
  ]);
}

export function UserLineText({ line }: { line: UserLine }) {
  return (
    <>
      {line.map((part, i) =>
        typeof part === 'string' ? part : <bdi key={`${i}`}>{part.user}</bdi>,
      )}
    </>
  );
}
