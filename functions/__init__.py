"""Lambda entry points, one folder per step; each folder is one Lambda asset."""
