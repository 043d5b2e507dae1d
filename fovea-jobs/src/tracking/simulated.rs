//! A stand-in for FOVEA's model service: it speaks `POST /api/tracking/track` exactly (raw
//! base64 masks in, frame-major COCO RLE masks out, FastAPI's `{detail}` errors) and "tracks"
//! each object by moving its initial box at a constant velocity, losing it over chosen frames.
//! For demos and tests where no GPU model exists; it is not a tracker.

use base64::Engine;
use fovea_core::track::RleMask;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A video the simulated service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedVideo {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Frames in the video.
    pub frames: u32,
}

/// How the simulated service behaves.
#[derive(Debug, Clone, Default)]
pub struct Simulation {
    /// Videos by id (others: 404).
    pub videos: HashMap<String, SimulatedVideo>,
    /// Pixels per frame each box moves by, `(dx, dy)`.
    pub velocity: (f64, f64),
    /// Frames (inclusive ranges) where every object is lost: an empty mask, occluded.
    pub lost: Vec<(u32, u32)>,
    /// Answer the first this-many requests with a 500.
    pub fail_first: u32,
}

/// What [`Simulation::from_value`] reads (camelCase JSON, as the bindings pass it).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SimulationOptions")
)]
pub struct SimulationArgs {
    /// The videos the service knows, by id (others answer 404).
    pub videos: HashMap<String, VideoArgs>,
    /// Pixels per frame each box moves by, `[dx, dy]` (default `[1.5, 0.5]`).
    #[serde(default = "default_velocity")]
    pub velocity: (f64, f64),
    /// Frames (inclusive ranges `[first, last]`) where every object is lost.
    #[serde(default)]
    pub lost: Vec<(u32, u32)>,
    /// Answer the first this-many requests with a 500.
    #[serde(default)]
    pub fail_first: u32,
}

/// A simulated video's size and length.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SimulatedVideoOptions")
)]
pub struct VideoArgs {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Frames.
    pub frames: u32,
}

fn default_velocity() -> (f64, f64) {
    (1.5, 0.5)
}

impl Simulation {
    /// Reads `{videos: {<id>: {width, height, frames}}, velocity?: [dx, dy] (default [1.5,
    /// 0.5]), lost?: [[first, last], …], failFirst?: n}`; an error names the field.
    ///
    /// ```
    /// use fovea_jobs::tracking::Simulation;
    /// let s = Simulation::from_value(serde_json::json!(
    ///     {"videos": {"v1": {"width": 640, "height": 480, "frames": 100}}})).unwrap();
    /// assert_eq!((s.videos["v1"].frames, s.velocity), (100, (1.5, 0.5)));
    /// assert!(Simulation::from_value(serde_json::json!({"videos": {"v1": {"width": 1}}}))
    ///     .unwrap_err().to_string().contains("videos.v1"));
    /// ```
    pub fn from_value(value: Value) -> crate::Result<Simulation> {
        let spec: SimulationArgs = serde_path_to_error::deserialize(value).map_err(|e| {
            crate::JobError::InvalidOptions {
                field: "simulation",
                message: format!("{}: {}", e.path(), e.inner()),
            }
        })?;
        Ok(Simulation {
            videos: spec
                .videos
                .into_iter()
                .map(|(id, v)| {
                    let video = SimulatedVideo {
                        width: v.width,
                        height: v.height,
                        frames: v.frames,
                    };
                    (id, video)
                })
                .collect(),
            velocity: spec.velocity,
            lost: spec.lost,
            fail_first: spec.fail_first,
        })
    }
}

/// A running simulated service on a loopback port (stopped when dropped).
#[derive(Debug)]
pub struct SimulatedModelService {
    url: String,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl SimulatedModelService {
    /// Starts the service on `127.0.0.1` on a free port (inside a tokio runtime).
    pub async fn start(simulation: Simulation) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let requests = Arc::new(AtomicU64::new(0));
        let shared = Arc::new((simulation, AtomicU32::new(0)));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (shared, counter) = (shared.clone(), counter.clone());
                tokio::spawn(async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                    let _ = serve(stream, &shared.0, &shared.1).await;
                });
            }
        });
        Ok(SimulatedModelService {
            url,
            requests,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for SimulatedModelService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const MAX_HEADER: usize = 64 << 10;
const MAX_BODY: usize = 1 << 30;

async fn serve(mut stream: TcpStream, sim: &Simulation, failed: &AtomicU32) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(8192);
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > MAX_HEADER || stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = buf.split_off(header_end);
    while body.len() < length {
        if stream.read_buf(&mut body).await? == 0 {
            break;
        }
    }
    let (status, reply) = if !request_line.starts_with("POST /api/tracking/track ") {
        (404, json!({"detail": "Not Found"}))
    } else if failed.fetch_add(1, Ordering::Relaxed) < sim.fail_first {
        (500, json!({"detail": "simulated failure"}))
    } else {
        match track(sim, &body) {
            Ok(v) => (200, v),
            Err((status, detail)) => (status, json!({ "detail": detail })),
        }
    };
    let text = reply.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        text.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(text.as_bytes()).await?;
    stream.shutdown().await
}

/// The service's answer to one request body.
fn track(sim: &Simulation, body: &[u8]) -> Result<Value, (u16, String)> {
    let bad = |m: String| (400u16, m);
    let req: Value = serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let video_id = req["video_id"]
        .as_str()
        .ok_or_else(|| bad("video_id: required".into()))?;
    let video = sim
        .videos
        .get(video_id)
        .ok_or_else(|| (404, format!("Video not found: {video_id}")))?;
    let masks = req["initial_masks"].as_array().cloned().unwrap_or_default();
    let ids = req["object_ids"].as_array().cloned().unwrap_or_default();
    if masks.len() != ids.len() {
        return Err(bad("Number of masks must match number of object IDs".into()));
    }
    let (w, h) = (video.width as usize, video.height as usize);
    let mut objects = Vec::with_capacity(masks.len());
    for (mask, id) in masks.iter().zip(&ids) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(mask.as_str().unwrap_or_default())
            .map_err(|e| bad(format!("Invalid mask encoding: {e}")))?;
        if raw.len() != w * h {
            return Err(bad(format!(
                "cannot reshape array of size {} into shape ({h},{w})",
                raw.len()
            )));
        }
        let id = id
            .as_i64()
            .ok_or_else(|| bad("object_ids: integers expected".into()))?;
        objects.push((id, bbox_of(&raw, w, h)));
    }
    let frames: Vec<u32> = match req["frame_numbers"].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .filter_map(Value::as_u64)
            .filter(|&f| f < u64::from(video.frames))
            .map(|f| f as u32)
            .collect(),
        _ => (0..video.frames).collect(),
    };
    let Some(&first) = frames.first() else {
        return Err(bad("No valid frames to process".into()));
    };
    let out: Vec<Value> = frames
        .iter()
        .map(|&f| {
            let lost = sim.lost.iter().any(|&(a, b)| (a..=b).contains(&f));
            let t = f64::from(f) - f64::from(first);
            let masks: Vec<Value> = objects
                .iter()
                .map(|(id, b)| {
                    let moved = b.map(|b| [b[0] + sim.velocity.0 * t, b[1] + sim.velocity.1 * t, b[2], b[3]]);
                    let mask = match moved {
                        Some(b) if !lost => RleMask::from_box(video.width, video.height, b),
                        _ => RleMask::from_box(video.width, video.height, [0.0, 0.0, 0.0, 0.0]),
                    };
                    json!({"object_id": id, "mask_rle": mask.to_value(),
                           "confidence": if lost { 0.2 } else { 0.95 }, "is_occluded": lost})
                })
                .collect();
            json!({"frame_number": f, "timestamp": f64::from(f) / 30.0, "masks": masks, "processing_time": 0.001})
        })
        .collect();
    Ok(json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "video_id": video_id,
        "frames": out,
        "video_width": video.width,
        "video_height": video.height,
        "total_frames": frames.len(),
        "processing_time": 0.001 * frames.len() as f64,
        "fps": 1000.0,
    }))
}

/// The box of a raw row-major mask.
fn bbox_of(raw: &[u8], w: usize, h: usize) -> Option<[f64; 4]> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        let row = &raw[y * w..(y + 1) * w];
        if let (Some(a), Some(b)) = (
            row.iter().position(|&p| p != 0),
            row.iter().rposition(|&p| p != 0),
        ) {
            x0 = x0.min(a);
            x1 = x1.max(b);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    (x0 != usize::MAX).then(|| {
        [
            x0 as f64,
            y0 as f64,
            (x1 - x0 + 1) as f64,
            (y1 - y0 + 1) as f64,
        ]
    })
}
