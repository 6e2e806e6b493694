"""The window's client of the compute process (``fcn_core.compute``): ``channel`` starts the
process and moves messages, ``client`` turns requests and replies into Qt signals and
supervises (deadlines, heartbeat, restart). Import the module you need directly."""
