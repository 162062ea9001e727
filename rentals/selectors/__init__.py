"""Reads of 存房 (flat pooling), with the joins their pages need."""
