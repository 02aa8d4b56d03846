"""What happens to built books: the OPDS catalog, Send to Kindle."""
