/**
 * `client.keyPackages`: this device's pool of key packages on the server (RFC 9420 §10), which
 * others claim to add the device to a group. The client tops it up on its own (after each sync and
 * each Welcome); a new profile uploads its first packages when it is created or linked.
 */
export interface KeyPackagePool {
  /**
   * Uploads fresh one-time packages when the server reports fewer than `KEY_PACKAGE_POOL.low` left
   * (up to `KEY_PACKAGE_POOL.target`), and a last-resort package when it has none. Their private
   * halves are sealed in the local store before the upload, so every package the server holds can
   * be joined with. A call while a top-up runs shares it.
   *
   * @returns how many packages were uploaded (0 when the pool was full enough)
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_RATE_LIMITED, VOLLY_E_KEY_PACKAGE_LIMIT
   *   (the server holds as many packages as it allows)
   */
  topUp(): Promise<number>;
}
