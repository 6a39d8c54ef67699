"""Denoising-autoencoder features."""
