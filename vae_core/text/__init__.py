"""Text VAEs: character vocabularies, text datasets and corpora, the sequence VAE, its losses and metrics.

Part of the core layer (docs/ARCHITECTURE.md): these modules import only the core and each other, and the core
reaches them through `vae_core.modality` (models, losses, evaluation) and `vae_core.data` (specs). Importing this
package imports none of its modules.
"""
