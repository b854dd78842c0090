/**
 * Store keys of a profile that are kept unsealed (they are read before the PIN is known). A module
 * of its own so light entry points (`@volly/client/browser`) need not load the crypto code.
 */

/** The PIN-wrapped data key (a SealedKeystore, JSON); its presence means "a profile exists". */
export const KEYSTORE_KEY = "keystore";
/** Consecutive wrong PINs and the time of the last one (JSON), for the PIN back-off. */
export const PIN_ATTEMPTS_KEY = "pin-attempts";
