/** "Roommates", "Roommates and Family", "Roommates, Family and Climbing". */
export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** How a message's sender is shown; a message whose sender deleted their account has none. */
export function senderName(
  sender: { handle: string; displayName: string } | null | undefined,
): string {
  if (!sender) return 'Deleted user';
  return sender.displayName || sender.handle || 'Someone';
}
