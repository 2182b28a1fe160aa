"""The distributions of a pixel and their random streams: the package's lowest layer.

    pixel_distribution          `PixelDistribution`: the interface, the random-stream layout
    categorical                 `Categorical`: softmax over levels per sub-pixel; bits/dim
    logistic_mixture            `LogisticMixture`: discretized logistic mixture with channel
                                coupling over a whole pixel
    truncated_logistic_mixture  `TruncatedLogisticMixture`: the same restricted to intervals
                                (Grayscale PixelCNN)
    random_stream               per-image seeds, uniform streams, inverse-CDF draws

Each distribution object owns its log-prob, its draw from uniform numbers and the range
coder's tables; models say which one their output is (`GatedPixelCNN.pixel_distribution`).
Models and samplers both import these; nothing here imports the rest of the package.
"""
