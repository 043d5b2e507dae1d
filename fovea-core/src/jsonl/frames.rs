//! Frame tables: the boxes of a JSON Lines file's annotations as columns, a chunk of
//! annotations at a time — keyframes only, or every visible frame — for columnar consumers
//! (Arrow in the Python binding). The export filters apply.

use super::export::ExportOptions;
use super::line::LineData;
use super::read::Reader;
use super::write::ExportMode;
use crate::error::{Error, Result};
use crate::interp::{CompiledSequence, FrameSink};
use crate::model::{BoundingBox, Frame};
use std::collections::HashMap;
use std::io::BufRead;

/// Rows of boxes in columns. Row `i` belongs to annotation `ids[annotation[i]]` on video
/// `video_ids[video[i]]`: the layout of dictionary-encoded columns, each dictionary without
/// repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameColumns {
    /// Distinct annotation ids of the chunk.
    pub ids: Vec<String>,
    /// Distinct video ids of the chunk.
    pub video_ids: Vec<String>,
    /// Index into `ids` of each row.
    pub annotation: Vec<i32>,
    /// Index into `video_ids` of each row.
    pub video: Vec<i32>,
    /// Frame number of each row.
    pub frame: Vec<i64>,
    /// `x` of each row.
    pub x: Vec<f64>,
    /// `y` of each row.
    pub y: Vec<f64>,
    /// `width` of each row.
    pub width: Vec<f64>,
    /// `height` of each row.
    pub height: Vec<f64>,
    /// Whether each row is a keyframe.
    pub keyframe: Vec<bool>,
}

impl FrameColumns {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.frame.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.frame.is_empty()
    }

    /// Appends the boxes of one compiled sequence (its keyframes, or every visible frame) as
    /// rows of annotation `index` on video `video`. O(rows), amortised allocation only.
    pub fn push_sequence(
        &mut self,
        compiled: &CompiledSequence,
        mode: ExportMode,
        index: i32,
        video: i32,
    ) {
        let mut rows = Rows {
            cols: self,
            index,
            video,
        };
        match mode {
            ExportMode::Keyframes => compiled.keyframes().iter().for_each(|k| rows.keyframe(k)),
            ExportMode::Interpolated => compiled.visit(&mut rows),
        }
    }

    fn push(
        &mut self,
        (index, video): (i32, i32),
        frame: Frame,
        [x, y, w, h]: [f64; 4],
        keyframe: bool,
    ) {
        self.annotation.push(index);
        self.video.push(video);
        self.frame.push(i64::from(frame));
        self.x.push(x);
        self.y.push(y);
        self.width.push(w);
        self.height.push(h);
        self.keyframe.push(keyframe);
    }
}

/// A [`FrameSink`] appending rows of one annotation.
struct Rows<'a> {
    cols: &'a mut FrameColumns,
    index: i32,
    video: i32,
}

impl FrameSink for Rows<'_> {
    fn keyframe(&mut self, key: &BoundingBox) {
        self.cols.push(
            (self.index, self.video),
            key.frame_number,
            key.values(),
            true,
        );
    }

    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.cols
            .push((self.index, self.video), frame, values, false);
    }
}

/// The frame table of a JSON Lines file, in chunks of about `rows` rows, reading one line at a
/// time: memory is bounded by a chunk. Keyframe rows come in whole annotations; every frame of
/// an annotation longer than the room left in a chunk is evaluated a window at a time and
/// continues in the next chunks, so the span of an annotation does not matter.
///
/// An unreadable line or an annotation that does not compile ends the table with its error
/// (located by line), after the rows read before it.
///
/// ```
/// use fovea_core::jsonl::{ExportMode, ExportOptions, FrameChunks};
/// let file = concat!(
///     r#"{"type":"annotation","data":{"id":"a","videoId":"v","boundingBoxSequence":{"boxes":["#,
///     r#"{"x":0,"y":0,"width":10,"height":10,"frameNumber":0},"#,
///     r#"{"x":10,"y":0,"width":10,"height":10,"frameNumber":4}]}}}"#,
/// );
/// let opts = ExportOptions { mode: ExportMode::Interpolated, ..Default::default() };
/// let chunk = FrameChunks::new(file.as_bytes(), opts, 1024).next().unwrap()?;
/// assert_eq!(chunk.frame, [0, 1, 2, 3, 4]);
/// assert_eq!(chunk.x, [0.0, 2.5, 5.0, 7.5, 10.0]);
/// assert_eq!(chunk.keyframe, [true, false, false, false, true]);
/// # Ok::<(), fovea_core::Error>(())
/// ```
pub struct FrameChunks<R: BufRead> {
    reader: Reader<R>,
    opts: ExportOptions,
    rows: usize,
    error: Option<Error>,
    done: bool,
    /// Dictionary positions of the chunk being filled.
    id_keys: HashMap<String, i32>,
    video_keys: HashMap<String, i32>,
    /// An annotation whose frames continue into the next chunk.
    pending: Option<Pending>,
}

/// The rest of an annotation's frames: from `next` to its last keyframe.
struct Pending {
    compiled: CompiledSequence,
    id: String,
    video_id: String,
    next: u64,
}

/// The position of `value` in `dict` (appended when new), through the `keys` index. O(1).
fn key_of(keys: &mut HashMap<String, i32>, dict: &mut Vec<String>, value: String) -> Result<i32> {
    if let Some(&k) = keys.get(&value) {
        return Ok(k);
    }
    let k = i32::try_from(dict.len()).map_err(|_| Error::InvalidType {
        path: "annotations".into(),
        message: "more than 2^31 distinct ids in one chunk".into(),
    })?;
    dict.push(value.clone());
    keys.insert(value, k);
    Ok(k)
}

impl<R: BufRead> FrameChunks<R> {
    /// The table of `input` under `opts` (mode, interpolation options, filters), in chunks of
    /// about `rows` rows.
    pub fn new(input: R, opts: ExportOptions, rows: usize) -> Self {
        FrameChunks {
            reader: Reader::new(input),
            opts,
            rows: rows.max(1),
            error: None,
            done: false,
            id_keys: HashMap::new(),
            video_keys: HashMap::new(),
            pending: None,
        }
    }

    /// Appends as many frames of the pending annotation as the chunk has room for (a window of
    /// frames at a time: hidden frames leave it short), keeping what is left pending.
    fn continue_pending(&mut self, cols: &mut FrameColumns) -> Result<()> {
        let Some(mut p) = self.pending.take() else {
            return Ok(());
        };
        let index = key_of(&mut self.id_keys, &mut cols.ids, p.id.clone())?;
        let video = key_of(
            &mut self.video_keys,
            &mut cols.video_ids,
            p.video_id.clone(),
        )?;
        let last = p.compiled.span().map_or(0, |(_, last)| u64::from(last));
        while cols.len() < self.rows && p.next <= last {
            let room = (self.rows - cols.len()) as u64;
            let to = (p.next + room - 1).min(last);
            let mut rows = Rows {
                cols: &mut *cols,
                index,
                video,
            };
            p.compiled
                .visit_range(p.next as Frame, to as Frame, &mut rows);
            p.next = to + 1;
        }
        if p.next <= last {
            self.pending = Some(p);
        }
        Ok(())
    }

    /// Appends the next annotation kept by the filters (or what the chunk has room for of the
    /// pending one); `false` at the end of the input.
    fn push_next(&mut self, cols: &mut FrameColumns) -> Result<bool> {
        if self.pending.is_some() {
            self.continue_pending(cols)?;
            return Ok(true);
        }
        for record in self.reader.by_ref() {
            let record = record?;
            let LineData::Annotation(raw) = record.data else {
                continue;
            };
            let annotation = raw.into_annotation().map_err(|e| e.at_line(record.line))?;
            if !self.opts.keeps(&annotation) {
                continue;
            }
            let compiled = annotation
                .bounding_box_sequence
                .compile(&self.opts.interp)
                .map_err(|e| e.at_line(record.line))?;
            let room = self.rows.saturating_sub(cols.len());
            if self.opts.mode == ExportMode::Interpolated && compiled.len() > room {
                let first = compiled.span().map_or(0, |(first, _)| u64::from(first));
                self.pending = Some(Pending {
                    compiled,
                    id: annotation.id,
                    video_id: annotation.video_id,
                    next: first,
                });
                self.continue_pending(cols)?;
                return Ok(true);
            }
            let index = key_of(&mut self.id_keys, &mut cols.ids, annotation.id)?;
            let video = key_of(
                &mut self.video_keys,
                &mut cols.video_ids,
                annotation.video_id,
            )?;
            cols.push_sequence(&compiled, self.opts.mode, index, video);
            return Ok(true);
        }
        Ok(false)
    }
}

impl<R: BufRead> Iterator for FrameChunks<R> {
    type Item = Result<FrameColumns>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        let mut cols = FrameColumns::default();
        self.id_keys.clear();
        self.video_keys.clear();
        while cols.len() < self.rows {
            match self.push_next(&mut cols) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) if cols.ids.is_empty() => {
                    self.done = true;
                    return Some(Err(e));
                }
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        (!cols.ids.is_empty()).then_some(Ok(cols))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const FILE: &str = concat!(
        r#"{"type":"annotation","data":{"id":"a","videoId":"v1","personaId":"p","boundingBoxSequence":{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":0},{"x":4,"y":0,"width":10,"height":10,"frameNumber":2}]}}}"#,
        "\n",
        r#"{"type":"video","data":{"id":"v1"}}"#,
        "\n\n",
        r#"{"type":"annotation","data":{"id":"b","videoId":"v2","boundingBoxSequence":{"boxes":[{"x":1,"y":1,"width":5,"height":5,"frameNumber":7}]}}}"#,
        "\n",
    );

    fn chunks(input: &str, opts: ExportOptions, rows: usize) -> Vec<Result<FrameColumns>> {
        FrameChunks::new(input.as_bytes(), opts, rows).collect()
    }

    #[test]
    fn keyframes_mode_gives_one_row_per_keyframe_and_chunks_whole_annotations() {
        let all = chunks(FILE, ExportOptions::default(), 1);
        let all: Vec<FrameColumns> = all.into_iter().map(|c| c.unwrap()).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].ids, ["a"]);
        assert_eq!(all[0].frame, [0, 2]);
        assert_eq!(all[0].annotation, [0, 0]);
        assert_eq!(all[1].ids, ["b"]);
        assert_eq!(all[1].video_ids, ["v2"]);
        assert_eq!(all[1].frame, [7]);
        assert_eq!(all[1].keyframe, [true]);
    }

    #[test]
    fn dictionaries_hold_each_id_once() {
        let twice = format!("{FILE}{FILE}");
        let all = chunks(&twice, ExportOptions::default(), 1000);
        let c = all[0].as_ref().unwrap();
        assert_eq!(c.ids, ["a", "b"]);
        assert_eq!(c.video_ids, ["v1", "v2"]);
        assert_eq!(c.annotation, [0, 0, 1, 0, 0, 1]);
        assert_eq!(c.video, [0, 0, 1, 0, 0, 1]);
    }

    #[test]
    fn interpolated_mode_and_filters() {
        let opts = ExportOptions {
            mode: ExportMode::Interpolated,
            persona_ids: Some(HashSet::from(["p".to_owned()])),
            ..Default::default()
        };
        let all = chunks(FILE, opts, 1000);
        assert_eq!(all.len(), 1);
        let c = all[0].as_ref().unwrap();
        assert_eq!(c.ids, ["a"]);
        assert_eq!(c.frame, [0, 1, 2]);
        assert_eq!(c.x, [0.0, 2.0, 4.0]);
        assert_eq!(c.keyframe, [true, false, true]);
    }

    /// Concatenates chunks' rows as (annotation id, frame, x, keyframe).
    fn rows_of(chunks: Vec<Result<FrameColumns>>) -> Vec<(String, i64, f64, bool)> {
        chunks
            .into_iter()
            .flat_map(|c| {
                let c = c.unwrap();
                (0..c.len())
                    .map(|i| {
                        let id = c.ids[c.annotation[i] as usize].clone();
                        (id, c.frame[i], c.x[i], c.keyframe[i])
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn a_long_annotation_continues_across_chunks_as_one_table() {
        // Three keyframes, a hidden stretch, another annotation after it.
        let long = concat!(
            r#"{"type":"annotation","data":{"id":"long","videoId":"v","boundingBoxSequence":{"boxes":["#,
            r#"{"x":0,"y":0,"width":1,"height":1,"frameNumber":2},"#,
            r#"{"x":10,"y":0,"width":1,"height":1,"frameNumber":12},"#,
            r#"{"x":40,"y":0,"width":1,"height":1,"frameNumber":30}],"#,
            r#""visibilityRanges":[{"startFrame":14,"endFrame":20,"visible":false}]}}}"#,
            "
"
        );
        let input = format!("{long}{FILE}");
        let opts = || ExportOptions {
            mode: ExportMode::Interpolated,
            ..Default::default()
        };
        let whole = rows_of(chunks(&input, opts(), 10_000));
        assert_eq!(whole.len(), 29 - 7 + 3 + 1);
        for rows in 1..=9 {
            let all = chunks(&input, opts(), rows);
            for c in &all {
                assert!(c.as_ref().unwrap().len() <= rows.max(3), "{rows}");
            }
            assert_eq!(rows_of(all), whole, "chunks of {rows}");
        }
    }

    #[test]
    fn a_span_of_two_billion_frames_is_read_a_chunk_at_a_time() {
        let huge = concat!(
            r#"{"type":"annotation","data":{"id":"a","videoId":"v","boundingBoxSequence":{"boxes":["#,
            r#"{"x":0,"y":0,"width":1,"height":1,"frameNumber":0},"#,
            r#"{"x":10,"y":0,"width":1,"height":1,"frameNumber":2147483647}]}}}"#,
        );
        let opts = ExportOptions {
            mode: ExportMode::Interpolated,
            ..Default::default()
        };
        let mut table = FrameChunks::new(huge.as_bytes(), opts, 1000);
        let first = table.next().unwrap().unwrap();
        let second = table.next().unwrap().unwrap();
        assert_eq!((first.len(), second.len()), (1000, 1000));
        assert_eq!(
            (first.frame[0], second.frame[0], second.frame[999]),
            (0, 1000, 1999)
        );
        assert_eq!((first.keyframe[0], second.keyframe[0]), (true, false));
        assert_eq!(second.ids, ["a"]);
    }

    #[test]
    fn an_unreadable_line_ends_the_table_after_the_rows_before_it() {
        let input = format!("{FILE}{{not json\n{FILE}");
        let all = chunks(&input, ExportOptions::default(), 1000);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].as_ref().unwrap().ids, ["a", "b"]);
        let err = all[1].as_ref().unwrap_err();
        assert_eq!(err.line(), Some(5));
        assert_eq!(err.code(), "invalid-json");
    }
}
