from core.counting import BoundedCount


def test_bounded_count_labels():
    assert BoundedCount(value=10_000, more=True).label == "10,000+"
    assert BoundedCount(value=9_999, more=False).label == "9,999"
    assert BoundedCount(value=0, more=False).label == "0"
