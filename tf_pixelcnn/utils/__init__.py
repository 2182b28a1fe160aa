"""Small utilities: PNG grids of images, a console progress line."""

from tf_pixelcnn.utils.image_grid import image_grid, write_png
from tf_pixelcnn.utils.progress_line import ProgressLine
