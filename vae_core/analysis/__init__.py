"""Analysis: the computing behind one or two explorer pages each, on top of the core (models, losses, data).

    posterior       Inside the VAE, Draw: posterior ellipses, reparameterisation, the ELBO split, prior holes
    anomaly         Anomaly detection: -ELBO scores, out-of-distribution sets, thresholds
    compression     Compression: the rate as a code length against PNG
    disentangle     Beta lab: how each latent dimension tracks a known factor (correlation, MI, MIG)
    sweep_results   Beta lab: a beta sweep's members on disk, their rate and distortion, what each looks like
    neighbours      Neighbours & arithmetic, Draw: nearest neighbours, attribute vectors, analogies
    drawing         Draw: a canvas drawing or an upload turned into a model input

Nothing here is imported by `import vae_core`, and this package imports none of its modules: import the one
a page needs.
"""
