"""Every page of the dashboard under Streamlit's AppTest."""
