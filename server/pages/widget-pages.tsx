import type { ComponentChildren, HTMLAttributes } from 'preact';

/**
 * The pages server/widgets-routes.tsx answers with: the mount points of the built console and
 * share apps, the demo brand page, and what a server without a widget build says instead.
 */

declare module 'preact' {
  namespace JSX {
    interface IntrinsicElements {
      'kith-cart': HTMLAttributes<HTMLElement>;
      'kith-share-button': HTMLAttributes<HTMLElement>;
      'kith-shop-button': HTMLAttributes<HTMLElement> & { product?: string };
      'kith-product-card': HTMLAttributes<HTMLElement> & { product?: string };
      'kith-shoppable-video': HTMLAttributes<HTMLElement> & {
        src?: string;
        clip?: string;
        brand?: string;
        label?: string;
      };
    }
  }
}

function Head({ title }: { title: string }) {
  return (
    <>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title}</title>
    </>
  );
}

/** A page that is only a mount point for one of the built apps (`data-*` for the app). */
export function AppPage(props: {
  title: string;
  css: string;
  js: string;
  /** The console also loads the widget kit, for its previews. */
  widgets: boolean;
  data: Record<string, string>;
}) {
  const data = Object.fromEntries(Object.entries(props.data).map(([k, v]) => [`data-${k}`, v]));
  return (
    <html lang="en">
      <head>
        <Head title={props.title} />
        <link rel="stylesheet" href={props.css} />
        <script type="module" src={props.js} />
        {props.widgets && <script type="module" src="/widgets/kith.js" />}
      </head>
      <body>
        <div id="app" {...data}>
          <noscript>This page needs JavaScript.</noscript>
        </div>
      </body>
    </html>
  );
}

/** What an invite link's state means for the person who opened it. */
const INVITE_STATE_TEXT = {
  open: 'Create your account below and you are friends at once. Already on Kith? Sign in to accept.',
  expired:
    'This invite has expired, so it will not make you friends. You can still create an account, then ask for a new link or add them by handle.',
  used: 'This invite has already been used, so it will not make you friends. You can still create an account, then ask for a new link or add them by handle.',
  unknown:
    'This invite code does not exist. You can still create an account, then ask your friend for a new link or add them by handle.',
} as const;

export type InviteState = keyof typeof INVITE_STATE_TEXT;

/**
 * `/invite/<code>`: who invited you (their names as text nodes, escaped like every value here),
 * where to get the extension, and the share app's sign-up (or, signed in, accept) below it.
 */
export function InvitePage(props: {
  css: string;
  js: string;
  code: string;
  state: InviteState;
  inviter: { displayName: string; handle: string } | null;
}) {
  const { inviter } = props;
  return (
    <html lang="en">
      <head>
        <Head
          title={inviter ? `${inviter.displayName} invited you to Kith` : 'An invite to Kith'}
        />
        <link rel="stylesheet" href={props.css} />
        <script type="module" src={props.js} />
      </head>
      <body>
        <header class="card narrow invite-intro">
          <h1 id="invite-title">
            {inviter ? (
              <>
                <bdi class="user-text">{inviter.displayName}</bdi> invited you to Kith
              </>
            ) : (
              'An invite to Kith'
            )}
          </h1>
          {inviter && (
            <p class="muted">
              @<bdi>{inviter.handle}</bdi> wants to watch short videos with you: chat and share
              clips right beside TikTok, YouTube Shorts and Instagram Reels.
            </p>
          )}
          <p id="invite-state" data-state={props.state}>
            {INVITE_STATE_TEXT[props.state]}
          </p>
          <p>
            <a href="/#extension">Get the Kith extension</a> for Chrome or Firefox. In its popup,
            choose Create account and paste this invite code: <code>{props.code}</code>
          </p>
        </header>
        <div id="app" data-mode="invite" data-code={props.code} data-state={props.state}>
          <noscript>
            Creating an account on this page needs JavaScript; the extension works too.
          </noscript>
        </div>
      </body>
    </html>
  );
}

export function NotBuiltPage({ text }: { text: string }) {
  return (
    <html lang="en">
      <head>
        <Head title="Not built" />
      </head>
      <body>
        <p>{text}</p>
      </body>
    </html>
  );
}

export interface DemoValues {
  css: string;
  brand: string;
  brandId: string;
  clip: string;
  tote: string;
  cap: string;
  mug: string;
  /** Whether Buy can take a payment on this server, and why not. */
  payments: string;
  /** Why the elements say their product is missing (a database that was not empty), or ''. */
  missing: string;
}

/** A plain brand page using every element, on the seeded demo brand. */
/**
 * A code sample. It scrolls sideways on a narrow screen, so it takes focus (keyboard users can
 * scroll it with the arrow keys) and is a named region (screen readers say what it is).
 */
function CodeBlock({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable (WCAG 2.1.1)
    // biome-ignore lint/a11y/useSemanticElements: the <pre> is the scroll container, so it carries the region
    <pre tabIndex={0} role="region" aria-label={label}>
      {children}
    </pre>
  );
}

export function DemoPage(v: DemoValues) {
  return (
    <html lang="en">
      <head>
        <Head title={`${v.brand} · Kith widget demo`} />
        <link rel="stylesheet" href={v.css} />
        <script type="module" src="/widgets/kith.js" />
      </head>
      <body>
        <header class="top">
          <a class="logo" href="/demo">
            {v.brand}
          </a>
          <nav>
            <a href="/console">Brand console</a>
            <kith-cart />
          </nav>
        </header>
        <main>
          <section class="hero">
            <h1>Everything a brand page needs, from one script tag</h1>
            <p>
              This is a plain page on a brand's site. Each block below is one Kith custom element,
              configured by attributes and themed with CSS custom properties. Add products from two
              different elements, reload: the cart is still there.
            </p>
            <p class="note" id="payments">
              {v.payments}
            </p>
            <p class="note warn">{v.missing}</p>
          </section>

          <section class="block">
            <h2>Shop button</h2>
            <div class="demo-row">
              <span class="label">Canvas tote</span>
              <kith-shop-button product={v.tote} />
            </div>
            <CodeBlock label="Shop button code">
              <code>{`<kith-shop-button product="${v.tote}"></kith-shop-button>`}</code>
            </CodeBlock>
          </section>

          <section class="block">
            <h2>Product cards</h2>
            <div class="cards">
              <kith-product-card product={v.cap} />
              <kith-product-card product={v.mug} class="themed" />
            </div>
            <CodeBlock label="Product cards code">
              <code>{`<kith-product-card product="${v.cap}"></kith-product-card>

/* the second card, themed by the page */
kith-product-card.themed { --kith-accent: #c2410c; --kith-radius: 18px; }`}</code>
            </CodeBlock>
          </section>

          <section class="block">
            <h2>Shoppable video</h2>
            <p>
              Products tagged to the clip in the console appear as chips at their moments; a chip
              opens the product card.
            </p>
            <kith-shoppable-video
              src="/demo/assets/clip.webm"
              clip={v.clip}
              brand={v.brandId}
              label={`${v.brand}: this week's picks`}
            />
            <CodeBlock label="Shoppable video code">
              <code>{`<kith-shoppable-video src="/demo/assets/clip.webm" clip="${v.clip}" brand="${v.brandId}"></kith-shoppable-video>`}</code>
            </CodeBlock>
          </section>

          <section class="block">
            <h2>Cart and share</h2>
            <p>
              The cart in the header is <code>{'<kith-cart>'}</code>: one cart for every element on
              every page of the site. The share button hands the page to the Kith extension, or
              opens a share page without it.
            </p>
            <kith-share-button />
            <CodeBlock label="Cart and share code">
              <code>{`<kith-cart></kith-cart>
<kith-share-button></kith-share-button>`}</code>
            </CodeBlock>
          </section>

          <section class="block">
            <h2>On your site</h2>
            <CodeBlock label="Script tag code">
              <code>
                {'<script type="module" src="'}
                <span class="origin">this server</span>
                {'/widgets/kith.js"></script>'}
              </code>
            </CodeBlock>
            <p>
              Create your own brand and products in the <a href="/console">brand console</a>; its
              snippet generator writes these lines for you.
            </p>
          </section>
        </main>
      </body>
    </html>
  );
}
