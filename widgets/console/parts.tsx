import type { ComponentChildren } from 'preact';

/** A failure the user should read now: nothing when `text` is empty. */
export function Alert({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

/**
 * The console's list table: a header cell per column, then an unlabelled
 * (screen-reader "Actions") column when `actions` is set; the rows go in `children`.
 */
export function Table(props: {
  columns: string[];
  actions?: boolean;
  children: ComponentChildren;
}) {
  return (
    <table class="table">
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
          {props.actions && (
            <th scope="col">
              <span class="sr">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}
