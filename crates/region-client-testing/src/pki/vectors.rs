//! Fixed encrypted-key test vectors: keys the stack must refuse, made once with OpenSSL (the
//! encryption would take PKCS#5 crates the workspace does not otherwise need).

/// TEST VECTOR, fixed, not generated at run time: an ECDSA P-256 private key as encrypted
/// PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2 with AES-256-CBC), password `test-vector`. Made once
/// with OpenSSL 3.0:
/// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem`, then
/// `openssl pkcs8 -topk8 -in k.pem -v2 aes-256-cbc -passout pass:test-vector`. The key belongs
/// to no certificate here.
pub const ENCRYPTED_PKCS8_KEY_PEM: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjCk20oVrrhHwICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEELUJxT/D3B82K1xwsGhkEjAEgZBA
2Ib/HDLfl7/9I1YhhQjEtffgszXh0uH7/IWgfDGME13tmyEhovrwLrxlSvoR/kvA
EsVdNfEeT3BOivsVhvlc1FnW+Cf5mKMDKLCmlAPOKxqVwz7GMWIZbOZvoA9NbrPD
+4atwdERxlmKrjHW1wWWeKAvD0QNyT1x6dXLl0v+TDrPvRJoJQSWrr1/UyoUh20=
-----END ENCRYPTED PRIVATE KEY-----
";

/// TEST VECTOR, fixed: the key of [`ENCRYPTED_PKCS8_KEY_PEM`] encrypted the legacy OpenSSL way
/// (an `EC PRIVATE KEY` block with `Proc-Type: 4,ENCRYPTED` and `DEK-Info` headers), password
/// `test-vector`, made with `openssl ec -in k.pem -aes256 -passout pass:test-vector`.
pub const ENCRYPTED_LEGACY_KEY_PEM: &str = "\
-----BEGIN EC PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-256-CBC,BCCE19A8F6653F5C967FE3B1C52C8571

qNLQPp6UXZ9IdR+QjuhrSdOG9x0jPzU97TD7v7xAiO7Jqg5KLGNkYFULIuWeFA1Z
xjIqXpE6nSsZ+cRmWyINMne8iKIOYTQrk4fapvu8UwmhkvlLIqCjdFpoQXnqpWpS
z+iGbZ7dk8oREaJEtiLmMTmMXUtYtfBKFuGZpnxwqC8=
-----END EC PRIVATE KEY-----
";
