"""SavedModel export for TensorFlow Serving."""

from tf_pixelcnn.serving.export_saved_model import export_saved_model
