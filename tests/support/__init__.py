"""What tests share: helpers live here, never imported from another test module."""
