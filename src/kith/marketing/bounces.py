def bounce_mail_handle(mailbox, message):
    raise NotImplementedError
