"""factory-twin's model of a factory: layout files, geometry, the factory graph, robot-cell
physics and the 3D scene. Heavy parts (pybullet, pyvista) are imported lazily where used."""
