/** What {@link modalDialog} needs: who to tell when the user closes the dialog. */
export interface ModalDialogParams {
  /** The user closed it: Escape, a click on the backdrop, or the dialog's own close/cancel button. */
  onclose: () => void;
}

/**
 * Svelte action for a `<dialog>` shown as a modal (HTML "dialog focusing steps": the first focusable
 * element, or the one with `autofocus`, gets the focus). Escape and a click on the backdrop call
 * `onclose`; removing the dialog from the page (its owner closed it, or another dialog replaced it)
 * closes it without calling `onclose`, and gives the focus back to the element that had it when the
 * dialog opened. Dialogs opened over another stack in the top layer; Escape closes only the topmost.
 *
 * Usage: `<dialog use:modalDialog={{ onclose }}>`.
 */
export function modalDialog(dialog: HTMLDialogElement, params: ModalDialogParams) {
  let current = params;
  let unmounting = false;
  const opener = document.activeElement as HTMLElement | null;
  const onClose = () => {
    if (!unmounting) current.onclose();
  };
  const onClick = (ev: MouseEvent) => {
    if (ev.target === dialog) current.onclose();
  };
  dialog.addEventListener("close", onClose);
  dialog.addEventListener("click", onClick);
  dialog.showModal();
  return {
    update(next: ModalDialogParams) {
      current = next;
    },
    destroy() {
      unmounting = true;
      dialog.removeEventListener("close", onClose);
      dialog.removeEventListener("click", onClick);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    },
  };
}
