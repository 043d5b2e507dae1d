"""Not run: type-checked by `mypy --strict` (scripts/test-python), as a user's editor would check
code against the package's stubs. The result shapes are the generated TypedDicts of
`fovea/_types.pyi`; the lines marked `type: ignore[...]` must stay errors (mypy reports an
ignore that is no longer needed)."""

import fovea


def results(path: str, store: fovea.Store) -> list[object]:
    seq = fovea.Sequence({"boxes": [{"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": 0}]})
    box = seq.at(0)
    keyframe: bool = box["isKeyframe"] if box is not None else False
    total: int = seq.to_dict()["totalFrames"]
    report = fovea.validate_jsonl(path)
    valid: bool = report["valid"]
    codes: list[str] = [issue["code"] for issue in report["errors"]]
    annotations: float = fovea.stats_jsonl(path)["annotations"]
    preview = fovea.preview_import(path)
    kinds: list[str] = [conflict["type"] for conflict in preview["conflicts"]]
    merged = fovea.merge_jsonl(None, path, "out.jsonl", options={"transaction": {"atomic": True}})
    committed: bool = merged["result"]["committed"]
    exported = store.export("out.jsonl")
    rows: list[str] = [row["id"] for row in exported["unreadable"]]
    imported = store.import_jsonl(path)
    history: str = imported["historyId"]
    videos: list[str] = [a["videoId"] for a in store.annotations()["annotations"]]
    missing = report["valid!"]  # type: ignore[typeddict-item]
    wrong: str = report["lines"]  # type: ignore[assignment]
    fovea.merge_jsonl(None, path, "out.jsonl", options={"scope": {"includeAll": True}})  # type: ignore[arg-type]
    found = [keyframe, total, valid, codes, annotations, kinds, committed, rows, history, videos]
    return [*found, missing, wrong]
