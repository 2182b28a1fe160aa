"""The distributions of a sub-pixel and their random streams: the package's lowest layer.

    categorical                 softmax over levels: log p of sub-pixels, bits/dim
    logistic_mixture            discretized logistic mixture with channel coupling
    truncated_logistic_mixture  the same restricted to intervals (Grayscale PixelCNN)
    random_stream               per-image seeds, uniform streams, inverse-CDF draws

Models and samplers both import these; nothing here imports the rest of the package.
"""
