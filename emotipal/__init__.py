"""EmotiPal: psychotherapy homework for clinics and research."""
