// A few line icons (inline SVG: nothing to fetch). Decorative: the buttons they sit in carry the words.

const PATHS = {
  menu: "M4 6h16M4 12h16M4 18h16",
  close: "M6 6l12 12M18 6L6 18",
  send: "M5 12h13M13 6l6 6-6 6",
  stop: "M7 7h10v10H7z",
  upload: "M12 16V4M7 9l5-5 5 5M5 20h14",
  trash: "M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
  external: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
  text: "M6 4h9l4 4v12H6zM9 12h7M9 16h7M9 8h3",
  back: "M15 6l-6 6 6 6",
  chevronLeft: "M15 6l-6 6 6 6",
  chevronRight: "M9 6l6 6-6 6",
  plus: "M12 5v14M5 12h14",
  key: "M14 10a4 4 0 1 0-3.5 4L12 16h2v2h2v2h4v-3l-6.5-6.5",
  copy: "M9 9h10v11H9zM5 15V4h10",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6",
  sources: "M5 4h10l4 4v12H5zM8 12h8M8 16h5",
  chat: "M4 5h16v11H9l-5 4z",
  check: "M5 12l4 4 10-10",
  alert: "M12 4l9 16H3zM12 10v4M12 17v.5",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
