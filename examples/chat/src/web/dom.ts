/** The element with `id`, typed; throws if the page lacks it (a build mismatch, not a user error). */
export function byId<TElement extends HTMLElement = HTMLElement>(id: string): TElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page has no #${id}`);
  return element as TElement;
}

/** Creates an element with text content and attributes. */
export function h<TTag extends keyof HTMLElementTagNameMap>(
  tag: TTag,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[TTag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Shows `text` in `element`, or hides it when `text` is empty. */
export function show(element: HTMLElement, text: string): void {
  element.textContent = text;
  element.hidden = text === '';
}
