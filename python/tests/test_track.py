"""Tracks into keyframe sequences: FOVEA's conversion and decimation (spec tracking-jobs.md
§1.8 vectors), the error-bounded reducer, the model service's response and RLE boxes."""

import json

import pytest

import fovea


def track(frames, model="samurai"):
    return {
        "trackId": 3,
        "label": "ship",
        "confidence": 0.9,
        "model": model,
        "videoWidth": 640,
        "videoHeight": 480,
        "frames": [
            {
                "frameNumber": f,
                "box": {"x": x, "y": 5.0, "width": 40.0, "height": 30.0},
                "confidence": 0.9,
                "occluded": False,
            }
            for f, x in frames
        ],
    }


def kept(seq):
    return [b["frameNumber"] for b in seq.to_dict()["boxes"]]


def test_foveas_conversion_hides_gaps_and_keeps_every_frame():
    seq = fovea.track_to_sequence(track([(0, 0.0), (1, 1.0), (5, 5.0), (6, 6.0)]))
    d = seq.to_dict()
    assert kept(seq) == [0, 1, 5, 6]
    ranges = [(r["startFrame"], r["endFrame"], r["visible"]) for r in d["visibilityRanges"]]
    assert ranges == [(0, 1, True), (2, 4, False), (5, 6, True)]
    assert d["trackingSource"] == "samurai"
    assert d["trackId"] == 3


@pytest.mark.parametrize(
    "n, every, expected",
    [(6, 2, [0, 2, 4, 5]), (10, 3, [0, 3, 6, 9]), (4, 2, [0, 2, 3])],
)
def test_foveas_decimation_vectors(n, every, expected):
    seq = fovea.decimate_track(track([(f, float(f)) for f in range(n)]), every)
    assert kept(seq) == expected


def test_decimation_chooses_foveas_n_when_not_given():
    seq = fovea.decimate_track(track([(f, float(f)) for f in range(100)]))
    assert kept(seq)[:3] == [0, 3, 6]  # ceil(100 / 40) = 3


def test_the_reducer_keeps_the_fewest_keyframes_within_tolerance():
    straight = track([(f, 0.5 * f) for f in range(1000)])
    seq = fovea.reduce_track(straight, 0.5)
    assert kept(seq) == [0, 999]
    # Interpolating the kept keyframes reproduces every tracked box.
    for f in (0, 250, 999):
        assert abs(fovea.box_at(seq, f)["x"] - 0.5 * f) <= 0.5
    zigzag = track([(f, float(f % 2)) for f in range(100)])
    assert len(kept(fovea.reduce_track(zigzag, 0.0))) == 100
    assert len(kept(fovea.reduce_track(zigzag, 1.0))) < 10
    # JSON text is accepted too.
    assert kept(fovea.reduce_track(json.dumps(straight), 0.5)) == [0, 999]


def test_bad_tracks_name_the_field():
    bad = track([(0, 0.0)])
    bad["frames"][0]["box"]["x"] = "left"
    with pytest.raises(fovea.InvalidTypeError) as e:
        fovea.track_to_sequence(bad)
    assert "frames[0].box.x" in str(e.value)
    with pytest.raises(ValueError):
        fovea.reduce_track(track([(0, 0.0)]), -1.0)


def test_service_response_becomes_tracks_and_rle_boxes_read():
    response = {
        "id": "j",
        "video_id": "v",
        "video_width": 3,
        "video_height": 4,
        "frames": [
            {
                "frame_number": 0,
                "timestamp": 0,
                "processing_time": 0.1,
                "masks": [
                    {
                        "object_id": 1,
                        "mask_rle": {"size": [4, 3], "counts": [5, 2, 5]},
                        "confidence": 0.5,
                        "is_occluded": False,
                    }
                ],
            }
        ],
    }
    tracks = fovea.tracks_from_service(response, model="sam2", labels={1: "ship"})
    assert tracks[0]["label"] == "ship"
    assert tracks[0]["model"] == "sam2"
    assert tracks[0]["frames"][0]["box"] == {"x": 1.0, "y": 1.0, "width": 1.0, "height": 2.0}
    assert fovea.rle_bbox({"size": [4, 3], "counts": [5, 2, 5]}) == (1.0, 1.0, 1.0, 2.0)
    assert fovea.rle_bbox({"size": [2, 2], "counts": "4"}) is None
    with pytest.raises(fovea.FoveaError):
        fovea.rle_bbox({"size": [2, 2], "counts": [1, 1]})
