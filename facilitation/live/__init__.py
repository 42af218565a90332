"""The live mechanism: regions rendered once per audience, pushes after commit, the websocket consumers."""
