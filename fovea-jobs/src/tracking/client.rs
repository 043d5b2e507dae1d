//! An HTTP client for FOVEA's model service `POST /api/tracking/track` (raw base64 masks in,
//! frame-major COCO RLE masks out), with timeouts, retries of transient failures, and errors
//! sorted into retryable and unrecoverable ones.

use crate::queue::Failure;
use base64::Engine;
use fovea_core::track::ServiceResponse;
use serde::Serialize;
use std::time::Duration;

/// The request body, in the service's snake_case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackRequest {
    /// The video.
    pub video_id: String,
    /// One raw mask per object: base64 of `height × width` bytes (0 or 1), row by row.
    pub initial_masks: Vec<String>,
    /// The objects' ids, in the masks' order.
    pub object_ids: Vec<i64>,
    /// The frames to track (empty: every frame).
    pub frame_numbers: Vec<u32>,
}

impl TrackRequest {
    /// Encodes one raw row-major mask for `initial_masks`.
    pub fn encode_mask(pixels: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(pixels)
    }
}

/// How the client talks to the service.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The service's base URL (FOVEA's `MODEL_SERVICE_URL`, default `http://localhost:8000`).
    pub base_url: String,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for the whole request (tracking is slow: the default is 30 minutes).
    pub request_timeout: Duration,
    /// Extra attempts after a transient failure (connection refused or reset, timeout, 5xx).
    pub retries: u32,
    /// The pause before the first retry; doubled for each next one.
    pub retry_delay: Duration,
}

/// FOVEA's default model-service URL.
pub const DEFAULT_MODEL_SERVICE_URL: &str = "http://localhost:8000";

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: DEFAULT_MODEL_SERVICE_URL.into(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30 * 60),
            retries: 2,
            retry_delay: Duration::from_millis(500),
        }
    }
}

/// The model-service client (cheap to clone).
#[derive(Debug, Clone)]
pub struct ModelServiceClient {
    http: reqwest::Client,
    options: ClientOptions,
}

impl ModelServiceClient {
    /// A client for the service at `options.base_url`.
    pub fn new(options: ClientOptions) -> Result<Self, Failure> {
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .build()
            .map_err(|e| Failure::unrecoverable(format!("model service client: {e}")))?;
        Ok(ModelServiceClient { http, options })
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        &self.options.base_url
    }

    /// Calls `POST /api/tracking/track`. A 4xx answer is unrecoverable (the request is wrong
    /// or the video unknown: FOVEA's workers retry these for nothing); connection failures,
    /// timeouts and 5xx answers are retried here, then reported as retryable.
    pub async fn track(&self, request: &TrackRequest) -> Result<ServiceResponse, Failure> {
        let url = format!(
            "{}/api/tracking/track",
            self.options.base_url.trim_end_matches('/')
        );
        let mut delay = self.options.retry_delay;
        let mut attempt = 0;
        loop {
            let failure = match self.http.post(&url).json(request).send().await {
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    if status.is_success() {
                        return ServiceResponse::from_json(&body).map_err(|e| {
                            Failure::unrecoverable(format!(
                                "model service answered with an unreadable tracking response: {e}"
                            ))
                        });
                    }
                    let message = format!(
                        "Model service error ({}): {}",
                        status.as_u16(),
                        detail(&body)
                    );
                    if status.is_client_error() {
                        return Err(Failure::unrecoverable(message));
                    }
                    Failure::retryable(message)
                }
                Err(e) => {
                    Failure::retryable(format!("model service at {url}: {}", error_chain(&e)))
                }
            };
            if attempt >= self.options.retries {
                return Err(failure);
            }
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
}

/// FastAPI's `{detail}` when present, else the body (cut to 500 characters).
fn detail(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("detail").map(|d| match d {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
    let mut text = from_json.unwrap_or_else(|| body.to_owned());
    if text.len() > 500 {
        let mut cut = 500;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
