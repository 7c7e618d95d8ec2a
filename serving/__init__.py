"""What the API serves: the committed version of each mart, published after a successful dbt build."""
