//! `fovea plot`: SVG and PNG pictures of an annotation's motion path and timeline, the choice
//! of annotation, and its errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn plot(args: &[&str], font: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fovea"));
    cmd.arg("plot").args(args);
    match font {
        Some(f) => cmd.env("FOVEA_FONT", f),
        None => cmd.env_remove("FOVEA_FONT"),
    };
    cmd.output().expect("run fovea")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A dataset of two annotations: the shared container ship, and one with a hidden range and
/// hold / bezier segments.
fn dataset(dir: &Path) -> PathBuf {
    let ship = std::fs::read_to_string(testdata("interp/container-ship.jsonl")).unwrap();
    let second = r#"{"type":"annotation","data":{"id":"buoy","videoId":"v2","annotationType":"object","linkedEntityId":"e1","boundingBoxSequence":{"boxes":[
        {"x":10,"y":10,"width":20,"height":20,"frameNumber":0},
        {"x":60,"y":40,"width":20,"height":20,"frameNumber":30},
        {"x":90,"y":40,"width":20,"height":20,"frameNumber":60}],
      "interpolationSegments":[{"startFrame":0,"endFrame":30,"type":"hold"},{"startFrame":30,"endFrame":60,"type":"bezier","controlPoints":{"x":[{"x":0.4,"y":0},{"x":0.6,"y":1}]}}],
      "visibilityRanges":[{"startFrame":40,"endFrame":45,"visible":false}]}}}"#
        .replace('\n', "");
    let path = dir.join("two.jsonl");
    std::fs::write(&path, format!("{}\n\n{second}\n", ship.trim_end())).unwrap();
    path
}

#[test]
fn svg_shows_the_first_annotation_with_its_keyframes_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ship.svg");
    let run = plot(
        &[
            dataset(dir.path()).to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.contains("annotation 7f8d9c2b-4a1e-4d6f-9c8b-2e5a1f3d7c4b"));
    for label in [
        "ease-in-out",
        "linear",
        "ease-out",
        "visible",
        "keyframes",
        "segments",
    ] {
        assert!(svg.contains(&format!("\n{label}\n")), "no {label} text");
    }
    // Every keyframe is labelled with its frame; nothing is hidden, so no "hidden" legend.
    for frame in ["0", "120", "240", "360"] {
        assert!(
            svg.contains(&format!("\n{frame}\n")),
            "no keyframe label {frame}"
        );
    }
    assert!(!svg.contains("\nhidden\n"));
    assert!(stderr(&run).contains("plotted annotation 7f8d9c2b"));
    // Written whole: no temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn the_chosen_annotation_shows_its_hidden_range_and_split_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("buoy.svg");
    let file = dataset(dir.path());
    let run = plot(
        &[
            file.to_str().unwrap(),
            "--annotation",
            "buoy",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("annotation buoy (video v2)"));
    for label in ["hold", "bezier", "hidden"] {
        assert!(svg.contains(&format!("\n{label}\n")), "no {label} text");
    }
    // The centre's path (red) is two polylines, frames 0-39 and 46-60, plus its legend line.
    let red = svg
        .matches(r##"<polyline fill="none" opacity="1" stroke="#D62728""##)
        .count();
    assert_eq!(red, 2 + 1, "two path runs and one legend line");
}

#[test]
fn png_has_the_asked_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ship.png");
    // One annotation line as a `.json` document.
    let file = dir.path().join("ship.json");
    std::fs::copy(testdata("interp/container-ship.jsonl"), &file).unwrap();
    let run = plot(
        &[
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--width",
            "640",
            "--height",
            "480",
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let png = std::fs::read(&out).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (640, 480));
}

#[test]
fn errors_name_what_is_wrong_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dataset(dir.path());
    let file = file.to_str().unwrap();
    let svg = dir.path().join("x.svg");
    let svg = svg.to_str().unwrap();

    let run = plot(&[file, "--annotation", "nope", "-o", svg], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("no annotation nope in"),
        "{}",
        stderr(&run)
    );

    let run = plot(
        &[file, "-o", dir.path().join("x.gif").to_str().unwrap()],
        None,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("use a .svg or .png file name"),
        "{}",
        stderr(&run)
    );

    let run = plot(&[file, "-o", svg], Some("/nonexistent/font.ttf"));
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("cannot read the font /nonexistent/font.ttf"),
        "{}",
        stderr(&run)
    );

    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{not json\n").unwrap();
    let run = plot(&[broken.to_str().unwrap(), "-o", svg], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("1 unreadable lines skipped"),
        "{}",
        stderr(&run)
    );

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, r#"{"boxes": []}"#).unwrap();
    let run = plot(&[empty.to_str().unwrap(), "-o", svg], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("sequence has no keyframes to plot"),
        "{}",
        stderr(&run)
    );

    assert!(!Path::new(svg).exists());
}
