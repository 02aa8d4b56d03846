"""The project: taidan.toml's schema, the project folder, the house style."""
