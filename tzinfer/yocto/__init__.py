"""Helpers for the Yocto layer (meta-tzinfer) and the SD-card workflow.

`memconf` turns a board's memory.yaml into the committed bitbake include the layer reads;
`flash` decides whether a block device is safe to overwrite with an image.
"""
