/**
 * Whether this device is in a group call, for the 1:1 call store (which must not ring meanwhile)
 * without importing the group call store (that one imports it). The group call store registers
 * its check at start-up.
 */
let groupCallBusy: () => boolean = () => false;

/** Registers the group call store's "in or ringing for a group call" check. */
export function registerGroupCallBusy(check: () => boolean): void {
  groupCallBusy = check;
}

/** Whether this device is in (or ringing for) a group call. */
export function inGroupCall(): boolean {
  return groupCallBusy();
}
