//! OpenAI (or any OpenAI-compatible API): the key check lists models with a bearer token.

use reqwest::{Client, RequestBuilder};

use super::keytest::Keys;

/// GET `{base}/models` with `Authorization: Bearer <api key>`; `base` already ends in `/v1`.
pub(crate) fn models_request(client: &Client, base: &str, keys: &Keys<'_>) -> RequestBuilder {
    client.get(format!("{base}/models")).bearer_auth(keys.key)
}
