import numpy as np
import pytest

from tf_pixelcnn.layers import masks


def test_channel_groups_are_contiguous_per_split():
    assert masks.channel_groups(7, 3).tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert masks.channel_groups(8, 3, num_splits=2).tolist() == [0, 0, 1, 2, 0, 0, 1, 2]
    assert masks.channel_groups(3 * 4, 3).tolist() == [0] * 4 + [1] * 4 + [2] * 4


def test_each_half_of_a_fused_gate_keeps_the_group_layout():
    groups = masks.channel_groups(2 * 10, 3, num_splits=2)
    np.testing.assert_array_equal(groups[:10], groups[10:])


@pytest.mark.parametrize(
    "mask_type, expected",
    [("A", [[0, 1, 1], [0, 0, 1], [0, 0, 0]]), ("B", [[1, 1, 1], [0, 1, 1], [0, 0, 1]])],
)
def test_channel_mask_orders_colour_groups(mask_type, expected):
    np.testing.assert_array_equal(masks.channel_mask(3, 3, 3, mask_type), expected)


def test_grayscale_mask_a_hides_the_current_pixel():
    assert not masks.channel_mask(1, 4, 1, "A").any()
    assert masks.channel_mask(4, 4, 1, "B").all()


@pytest.mark.parametrize("bad", [0, 2, 4, -3, 3.0])
def test_bad_kernel_size_names_the_value(bad):
    with pytest.raises(ValueError, match=f"kernel_size={bad!r}"):
        masks.check_odd_kernel_size(bad)


def test_bad_mask_type_and_groups():
    with pytest.raises(ValueError, match="mask_type='C'"):
        masks.check_mask_type("C")
    with pytest.raises(ValueError, match="num_groups=3"):
        masks.channel_groups(2, 3)
