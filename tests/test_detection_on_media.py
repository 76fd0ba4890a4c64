"""Detection and tracking on the real shared photos and videos."""

from __future__ import annotations

from conftest import run_source

# Centres of the five faces in multi_face.jpg, marked by hand on the photo.
MULTI_FACE_CENTRES = [(262, 126), (366, 295), (478, 259), (576, 366), (735, 355)]


def _contains(box, point) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_single_face_video_has_one_face_in_nearly_every_frame(pipeline, media):
    results = run_source(pipeline, media / "single_face.mp4")
    assert len(results) == 72
    one_face = sum(len(r.faces) == 1 for r in results)
    assert one_face >= 0.9 * len(results)


def test_single_face_video_keeps_one_track_id(pipeline, media):
    results = run_source(pipeline, media / "single_face.mp4")
    ids = {face.track_id for r in results for face in r.faces}
    assert ids == {1}


def test_single_face_video_is_happy_in_the_middle_third(pipeline, media):
    results = run_source(pipeline, media / "single_face.mp4")
    third = len(results) // 3
    middle = [r for r in results[third : 2 * third] if r.faces]
    happy = sum(r.faces[0].emotion == "happy" for r in middle)
    assert happy > len(middle) / 2


def test_no_face_video_finds_no_face_in_almost_every_frame(pipeline, media):
    results = run_source(pipeline, media / "no_face.mp4")
    assert len(results) >= 90  # the container says 98; 95 decode
    empty = sum(not r.faces for r in results)
    assert empty >= 0.95 * len(results)


def test_multi_face_photo_finds_the_people_and_nothing_else(pipeline, media):
    (result,) = run_source(pipeline, media / "multi_face.jpg")
    assert len(result.faces) >= 4
    matched = set()
    for face in result.faces:
        inside = [i for i, c in enumerate(MULTI_FACE_CENTRES) if _contains(face.box, c)]
        assert len(inside) == 1, f"box {face.box} is not on exactly one face"
        matched.add(inside[0])
    assert len(matched) == len(result.faces)


def test_face_then_title_card_has_faces_first_and_none_at_the_end(pipeline, media):
    results = run_source(pipeline, media / "face_noface.mov")
    first, last = results[:20], results[-20:]
    assert sum(bool(r.faces) for r in first) >= 18
    assert not any(r.faces for r in last)


def test_title_card_then_face_has_faces_only_later(pipeline, media):
    results = run_source(pipeline, media / "noface_face.mov")
    assert not any(r.faces for r in results[:20])
    assert sum(bool(r.faces) for r in results[-20:]) >= 18


def test_wolfgang_clip_tracks_one_face_through_the_clip(pipeline, media):
    results = run_source(pipeline, media / "WolfgangLanger_Pexels.mp4")
    assert len(results) == 472
    ids = [face.track_id for r in results for face in r.faces]
    most_common = max(set(ids), key=ids.count)
    assert ids.count(most_common) >= 0.97 * len(results)
