"""tf_pixelcnn: PixelCNN image density models for TensorFlow 2 / Keras 3."""

import setuptools

setuptools.setup(
    name="tf_pixelcnn",
    version="0.1.0",
    description="Gated PixelCNN and PixelCNNs with auxiliary variables for TensorFlow 2 / Keras 3.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["tf_pixelcnn", "tf_pixelcnn.*"]),
    python_requires=">=3.11",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.15,<4",
        "tensorflow-datasets>=4.9.10,<5",
        "importlib_resources>=6",  # tfds download_and_prepare on Python 3.11
        "numpy>=1.26,<3",
        "absl-py>=2.1,<3",
        # Configs as code with command-line overrides (--config.train.num_steps=...).
        "ml_collections>=1.0,<2",
        # tf.summary's implementation; TensorFlow 2.21 no longer installs it.
        "tensorboard>=2.21,<2.22",
        # The offline default dataset: scikit-learn ships the 8x8 digits in its wheel.
        "scikit-learn>=1.5,<2",
        # Lossless compression (tf_pixelcnn.compression): range coding with categorical
        # tables. Its fixed-point quantisation of the tables is part of the compressed
        # format, so one minor version.
        "constriction>=0.5,<0.6",
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "scipy>=1.11"],
        # Benchmark-only peers: tfd.PixelCNN needs TensorFlow Probability with tf-keras;
        # benchmarks/compression.py compares with WebP lossless (Pillow);
        # benchmarks/quality.py tests on photographs shipped in scikit-image's wheel.
        "benchmarks": [
            "tensorflow-probability>=0.25",
            "tf-keras>=2.21,<2.22",
            "pillow>=10",
            "scikit-image>=0.22",
        ],
        # export/client.py --protocol=grpc: PredictRequest / PredictionService protos and a
        # gRPC channel. tensorflow-serving-api 2.21 requires tensorflow>=2.21,<3 (our pin
        # holds), grpcio and protobuf>=6.31.1,<8.
        "serving": ["tensorflow-serving-api>=2.21,<2.22", "grpcio>=1.24.3,<2"],
    },
)
