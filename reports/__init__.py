"""Turn what the warehouse's views say into things people read: tables, figures, documents."""
