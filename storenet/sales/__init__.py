"""sales"""
