//! The drop box's upload token settings ([`DropBox::with_token_keys`],
//! [`DropBox::with_trust`]); checked against the policy when it starts serving.

use selfreport_core::policy::TrustAnchors;

use super::DropBox;
use crate::token_key::IssuerSecretKey;

impl DropBox {
    /// Signs upload tokens with `keys` (`serve --token-key FILE`, repeatable). Each must
    /// be listed in the policy's `endpoint.token_keys`, and every key listed there that
    /// issues today or later must be given, or [`super::serve`] refuses to start.
    pub fn with_token_keys(mut self, keys: Vec<IssuerSecretKey>) -> Self {
        self.token_keys = keys;
        self
    }

    /// Verifies enrollment orders (`POST {base}/tokens` with `use: enrolled`) under the
    /// policy's root key in `anchors` (`serve --trust signing.pub`), as a device does; the
    /// served policy must verify under it too. Needed when the policy has `enrolled`
    /// token keys.
    pub fn with_trust(mut self, anchors: TrustAnchors) -> Self {
        self.trust = Some(anchors);
        self
    }
}
