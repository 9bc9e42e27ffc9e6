"""Storefront views, one module per part of the storefront. Views stay thin: they parse
input, call a service or selector, and render."""
