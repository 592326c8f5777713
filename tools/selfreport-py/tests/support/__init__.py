"""Helpers the live tests share: a test PKI, the authority and device command lines,
and a drop box process."""
