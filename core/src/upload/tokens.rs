//! Upload tokens on the device (docs/protocol.md, "Upload tokens"): fetched from the
//! policy's drop box ahead of use — an enrollment order's whole allowance at once at the
//! first sync that can, open-intake tokens a few at a time — and taken by each outbox item
//! at its first attempt, which then spends the same token on every resend.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Result;
use crate::facade::SelfReport;
use crate::hex::hex;
use crate::model::MonitoringPeriod;
use crate::policy::{FormEnrollment, PolicyDocument, TokenKeyUse, VerifiedPolicy};
use crate::store::{OutboxItem, PendingRequest, TokenPool};
use crate::sync::Transports;
use crate::sync::transport::{Transport, TransportConfig};
use crate::token::{IssuerKey, PendingToken, TokenChallenge, read_token_response};

/// Most token requests in one `POST {url}/tokens`.
const MAX_REQUESTS: usize = 64;

/// Open-intake tokens asked for at a time (the drop box gives at most 8 per address and
/// day).
const OPEN_TOKENS: usize = 4;

/// The format of a token request body.
const REQUEST_FORMAT: &str = "selfreport.token-request/1";

/// Which key's tokens pay for an item of `form_id`: open forms spend open-intake tokens,
/// every other item (forms filed under orders, their cover traffic) enrolled ones.
pub(crate) fn token_use(policy: &PolicyDocument, form_id: &str) -> TokenKeyUse {
    match policy.form(form_id).map(|form| form.enrollment) {
        Some(FormEnrollment::Open) => TokenKeyUse::Open,
        _ => TokenKeyUse::Enrolled,
    }
}

/// An order under which tokens may be asked for today.
struct LiveOrder {
    /// SHA-256 of its secret, hex: what the pool counts its tokens by.
    digest: String,
    /// The signed order, as the device holds it.
    signed: String,
    /// Tokens it should bring over its whole period.
    target: u32,
}

/// The requests of one exchange with the issuer, ready to send.
struct Exchange {
    /// The key they were blinded for.
    key: IssuerKey,
    /// The policy's pool, without `pending`.
    pool: TokenPool,
    /// The requests.
    pending: PendingRequest,
    /// The request body.
    body: Vec<u8>,
}

/// How one issuance exchange ended.
enum Issued {
    /// Tokens finished and pooled.
    Tokens,
    /// The drop box will sign no more under this order (its allowance is spent, or it
    /// refused the order).
    Closed,
    /// Not now (network, rate limit, server error): pending requests are kept.
    Later,
}

impl SelfReport {
    /// Gives `item` an upload token when its policy requires them: its own if it has one,
    /// else one from the pool, fetching tokens first when the pool has none of its use.
    /// The item comes back with whether it may be sent now (`false`: no token could be
    /// had; it is tried again later).
    pub(crate) async fn with_upload_token(
        &self,
        mut item: OutboxItem,
        policy: &VerifiedPolicy,
        transports: &mut Transports,
        config: &TransportConfig,
    ) -> Result<(OutboxItem, bool)> {
        let document = policy.document();
        if document.endpoint.token_keys.is_empty() || item.payload.upload_token.is_some() {
            return Ok((item, true));
        }
        let usage = token_use(document, &item.payload.form_id);
        let id = item.payload.submission_id.clone();
        let mut token = self.store().assign_upload_token(&id, policy.id(), usage)?;
        // Enrolled tokens come at the start of each sync (`top_up_tokens`); open-intake
        // tokens are fetched when one is needed.
        if token.is_none() && usage == TokenKeyUse::Open {
            let Ok(transport) = transports.get(policy, config) else {
                return Ok((item, false));
            };
            let transport = transport.clone();
            self.issue(policy, &transport, TokenKeyUse::Open, None, OPEN_TOKENS)
                .await?;
            token = self.store().assign_upload_token(&id, policy.id(), usage)?;
        }
        let ready = token.is_some();
        item.payload.upload_token = token;
        Ok((item, ready))
    }

    /// Before a sync sends anything: asks each policy's drop box for the tokens its live
    /// orders have not brought yet (each order's whole allowance, at once).
    pub(crate) async fn top_up_tokens(
        &self,
        transports: &mut Transports,
        config: &TransportConfig,
    ) -> Result<()> {
        for policy in self.store().policies()? {
            if policy.document().endpoint.token_keys.is_empty()
                || self.usable_policy(policy.id())?.is_none()
            {
                continue;
            }
            let Ok(transport) = transports.get(&policy, config) else {
                continue;
            };
            let transport = transport.clone();
            self.top_up_orders(&policy, &transport).await?;
        }
        Ok(())
    }

    /// Asks for the tokens each live order of `policy` still lacks.
    async fn top_up_orders(&self, policy: &VerifiedPolicy, transport: &Transport) -> Result<()> {
        let periods = self.store().monitoring_periods()?;
        for order in self.live_orders(policy, &periods) {
            loop {
                let obtained = self
                    .store()
                    .token_pool(policy.id())?
                    .obtained_by(&order.digest);
                let lacking = order.target.saturating_sub(obtained) as usize;
                if lacking == 0 {
                    break;
                }
                let count = lacking.min(MAX_REQUESTS);
                let issued = self
                    .issue(
                        policy,
                        transport,
                        TokenKeyUse::Enrolled,
                        Some(&order),
                        count,
                    )
                    .await?;
                if !matches!(issued, Issued::Tokens) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The orders under `policy` whose period holds today and whose signed bytes the
    /// device kept.
    fn live_orders(&self, policy: &VerifiedPolicy, periods: &[MonitoringPeriod]) -> Vec<LiveOrder> {
        let today = self.today();
        let document = policy.document();
        periods
            .iter()
            .filter(|period| {
                period.policy_id == document.id
                    && period.start <= today
                    && today <= period.last_day()
            })
            .filter_map(|period| {
                let order = period.order.as_ref()?;
                let signed = order.signed.clone()?;
                let per_day: u32 = order.forms.values().copied().sum();
                let target = period
                    .days
                    .saturating_mul(per_day.saturating_add(document.cover_traffic.daily));
                Some(LiveOrder {
                    digest: hex(&crate::crypto::sha256(order.secret.as_bytes())),
                    signed,
                    target,
                })
            })
            .collect()
    }

    /// One exchange with the issuer: sends the pending requests of (`usage`, `order`) if
    /// a reply was lost before, else `count` new ones (kept before they are sent), and
    /// pools the tokens the reply finishes.
    async fn issue(
        &self,
        policy: &VerifiedPolicy,
        transport: &Transport,
        usage: TokenKeyUse,
        order: Option<&LiveOrder>,
        count: usize,
    ) -> Result<Issued> {
        let Some(exchange) = self.prepare_issuance(policy, usage, order, count)? else {
            return Ok(Issued::Closed);
        };
        let reply = transport.post_tokens(exchange.body.clone()).await.ok();
        self.settle_issuance(policy, order, exchange, reply)
    }

    /// The requests of one exchange, kept in the pool before they are sent; `None` when
    /// no key of `usage` issues today.
    #[inline(never)]
    fn prepare_issuance(
        &self,
        policy: &VerifiedPolicy,
        usage: TokenKeyUse,
        order: Option<&LiveOrder>,
        count: usize,
    ) -> Result<Option<Exchange>> {
        let document = policy.document();
        let Some(key) = document.endpoint.token_key(usage, self.today()) else {
            return Ok(None);
        };
        let (Ok(key), Some(challenge)) = (IssuerKey::from_spki(&key.spki), challenge(document))
        else {
            return Ok(None);
        };
        let order_digest = order.map(|order| order.digest.clone());
        let mut pool = self.store().token_pool(policy.id())?;
        let position = pool
            .pending
            .iter()
            .position(|pending| pending.usage == usage && pending.order == order_digest);
        let pending = match position {
            Some(position) => pool.pending.remove(position),
            None => {
                let mut fresh = PendingRequest {
                    usage,
                    order: order_digest,
                    tokens: Vec::with_capacity(count),
                    requests: Vec::with_capacity(count),
                };
                for _ in 0..count {
                    let (token, request) = PendingToken::new(&key, &challenge)
                        .map_err(|_| crate::error::Error::Crypto("a token could not be blinded"))?;
                    fresh
                        .tokens
                        .push(URL_SAFE_NO_PAD.encode(token.to_bytes().as_slice()));
                    fresh
                        .requests
                        .push(URL_SAFE_NO_PAD.encode(request.encode()));
                }
                // Kept before it is sent: a reply lost to a crash is asked for again.
                pool.pending.push(fresh.clone());
                self.store().save_token_pool(policy.id(), &pool)?;
                pool.pending.pop();
                fresh
            }
        };
        let body = request_body(usage, order.map(|order| order.signed.as_str()), &pending);
        Ok(Some(Exchange {
            key,
            pool,
            pending,
            body,
        }))
    }

    /// Pools what the issuer's `reply` (`None`: no reply) finishes, or keeps the requests
    /// for the next sync when there is nothing to finish yet.
    #[inline(never)]
    fn settle_issuance(
        &self,
        policy: &VerifiedPolicy,
        order: Option<&LiveOrder>,
        exchange: Exchange,
        reply: Option<crate::sync::transport::Reply>,
    ) -> Result<Issued> {
        let Exchange {
            key,
            mut pool,
            pending,
            ..
        } = exchange;
        let Some(reply) = reply else {
            return self.keep_pending(policy, pool, pending);
        };
        match reply.status {
            200 => {}
            403 | 404 => {
                // The drop box signs no more under this order (or has no such key): stop
                // asking, and let the pending requests go.
                if let Some(order) = order {
                    pool.set_obtained(&order.digest, order.target);
                }
                self.store().save_token_pool(policy.id(), &pool)?;
                return Ok(Issued::Closed);
            }
            _ => return self.keep_pending(policy, pool, pending),
        }
        // Whatever the reply, the pending requests are answered: a reply that does not
        // finish into valid tokens will not finish later either.
        let Some(tokens) = finish_all(&key, &pending, &reply.body) else {
            self.store().save_token_pool(policy.id(), &pool)?;
            return Ok(Issued::Closed);
        };
        let added = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
        pool.ready(pending.usage).extend(tokens);
        if let Some(order) = order {
            let count = pool.obtained_by(&order.digest).saturating_add(added);
            pool.set_obtained(&order.digest, count);
        }
        self.store().save_token_pool(policy.id(), &pool)?;
        Ok(Issued::Tokens)
    }

    /// Puts `pending` back into the pool for the next sync.
    fn keep_pending(
        &self,
        policy: &VerifiedPolicy,
        mut pool: TokenPool,
        pending: PendingRequest,
    ) -> Result<Issued> {
        pool.pending.push(pending);
        self.store().save_token_pool(policy.id(), &pool)?;
        Ok(Issued::Later)
    }
}

/// The challenge digest of the policy's tokens; `None` if it cannot be encoded (a URL
/// without a host: a policy never has one).
fn challenge(document: &PolicyDocument) -> Option<[u8; 32]> {
    TokenChallenge::for_endpoint(&document.endpoint.url, &document.id)
        .digest()
        .ok()
}

/// The body of `POST {url}/tokens`: every word in it is base64url or a fixed name, so it
/// is written without a JSON serializer.
fn request_body(usage: TokenKeyUse, order: Option<&str>, pending: &PendingRequest) -> Vec<u8> {
    let mut body = format!(
        "{{\"format\":\"{REQUEST_FORMAT}\",\"use\":\"{}\"",
        usage.as_str()
    );
    if let Some(order) = order {
        body.push_str(&format!(",\"order\":\"{order}\""));
    }
    body.push_str(",\"requests\":[");
    for (index, request) in pending.requests.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"{request}\""));
    }
    body.push_str("]}");
    body.into_bytes()
}

/// Finishes every pending token with its response, each verified under `key`; `None`
/// unless the reply is a token response with one valid signature per request.
fn finish_all(key: &IssuerKey, pending: &PendingRequest, body: &[u8]) -> Option<Vec<String>> {
    let signatures = read_token_response(body, pending.tokens.len()).ok()?;
    let mut tokens = Vec::with_capacity(signatures.len());
    for (kept, signature) in pending.tokens.iter().zip(signatures) {
        let token = PendingToken::from_bytes(&URL_SAFE_NO_PAD.decode(kept).ok()?).ok()?;
        tokens.push(token.finish(key, &signature).ok()?.to_base64url());
    }
    Some(tokens)
}
