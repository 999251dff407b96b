"""The deterministic Kaiping demo workspace builder (``python -m bangfu.demo build``)."""
